"""The daily job: each user's digest, contacts' birthday reminders and greetings ahead of
public holidays, sent once a day at the company's configured hour (``daily.py``)."""
