# A package, so that tests/browser/conftest.py is imported as `browser.conftest` and does not
# shadow tests/conftest.py (imported by the model tests as `conftest`). Helpers: browser.lab.
