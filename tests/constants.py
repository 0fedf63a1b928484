"""Values shared by the fixtures and the tests that start `brug` as a process."""

TOKEN = "123456:TEST-TOKEN"
SECRET_KEY = "test-secret-key-with-more-than-32-characters"
