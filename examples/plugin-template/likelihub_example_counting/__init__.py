"""A template likelihub plugin: one counting experiment with an uncertain background.

Copy this folder, rename the distribution, the package and the backend, and replace
``backend.py`` with your likelihood. See the documentation page "Writing a plugin".
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
