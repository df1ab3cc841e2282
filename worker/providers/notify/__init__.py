"""GOV.UK Notify, the second SMS provider: the client (`client.py`) and its callbacks
(`callbacks.py`: delivery receipts and received text messages)."""
