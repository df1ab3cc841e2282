"""Twilio in one place: the SMS client (`client`), what its error codes and delivery statuses mean
(`errors`, `statuses`), and its webhooks' form and signature (`webhook`); voice calls for call
steps (`voice`, `voice_webhook`). Another SMS provider sits beside it as a sibling package of
its own."""
