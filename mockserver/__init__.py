"""mockserver: a local stand-in and contract-testing server for AI music-generation APIs."""

import warnings

# connexion 3.3 imports starlette's TestClient at import time, which warns about httpx on
# every command; it is not used here.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
