"""The coordinator pages: alert queue, patients, a patient's timeline, and the trust (admin)."""
