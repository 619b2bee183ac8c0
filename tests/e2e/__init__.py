"""Browser tests that drive the running app in headless Chromium."""
