# Sourced by test.sh and demo.sh: create .venv once and install the core and the bundled plugins
# (editable) with the test tools, all from the package registry. Re-running is cheap.
python3 -m venv .venv
source .venv/bin/activate
python -m pip install -q --upgrade pip
plugins=()
for dir in plugins/*/; do
    [ -f "$dir/pyproject.toml" ] && plugins+=(-e "$dir")
done
python -m pip install -q -e ".[test,plot]" "${plugins[@]}"
