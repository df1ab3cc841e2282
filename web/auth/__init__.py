"""Staff sign-in, sessions, CSRF and API tokens: who is asking, and for which trust."""
