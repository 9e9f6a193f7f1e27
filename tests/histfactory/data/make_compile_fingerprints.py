"""Write compile_fingerprints.json's model sketches from the current compiler, once it is the
reference: every field must still equal, bit for bit, the sha256 fingerprint of the term-by-term
compiler of commit 5104d1d (``git show 04f7b74:tests/histfactory/data/compile_fingerprints.json``
holds them), on the machine that runs this. The error messages are kept as they are.

    python tests/histfactory/data/make_compile_fingerprints.py OLD_FINGERPRINTS.json
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.conftest import _shared_data_path  # noqa: E402
from tests.histfactory import test_compile_identity as t  # noqa: E402


def main(old_path: str) -> None:
    old = json.loads(Path(old_path).read_text())
    cases = [case for codes in t.CODES for case in t.hand_written_cases(codes)]
    cases.append(t.integer_factors_case())
    for analysis in sorted(t.PUBLISHED):
        cases.extend(t.published_cases(_shared_data_path(), analysis))
    models = {}
    for name, compiled in cases:
        hashes = old["models"][name]
        for field, value in ((f, getattr(compiled, f)) for f in hashes):
            if t.exact_hash(value) != hashes[field]:
                raise SystemExit(f"{name}: {field} is not the reference compiler's bit for bit here")
        models[name] = t.fingerprint(compiled)
    if sorted(models) != sorted(old["models"]):
        raise SystemExit("the cases differ from the old file's")
    out = {"errors": old["errors"], "models": models}
    (HERE / "compile_fingerprints.json").write_text(json.dumps(out, indent=0, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
