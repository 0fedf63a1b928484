"""Values shared by the fixtures and the tests that start `brug` as a process."""

from brug.core.crypto import Vault
from brug.core.settings import DEV_DATA_KEY

TOKEN = "123456:TEST-TOKEN"
SECRET_KEY = "test-secret-key-with-more-than-32-characters"

# The keys of the test deployment: SECRET_KEY and the development data key, as the test settings have them.
VAULT = Vault(SECRET_KEY, [DEV_DATA_KEY])
