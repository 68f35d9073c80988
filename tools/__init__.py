"""Helpers of the addon that are not models: phone numbers, numbering, SMS
texts and the SMS gateway adapter, distances, file sniffing, spreadsheets.
Plain Python, imported by models and controllers (as ``sms/tools`` in core)."""
