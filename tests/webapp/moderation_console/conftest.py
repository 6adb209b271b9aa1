"""The console's tests share the community fixtures (tests/webapp/community/conftest.py)."""

from tests.webapp.community.conftest import signed_in, space  # noqa: F401 - fixtures by name
