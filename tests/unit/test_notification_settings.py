"""Settings for delivery: mail server, SMS gateway, sender address and the site's address,
each refused with one line naming the variable (and never showing a password)."""

from __future__ import annotations

import pytest

from core.settings import Settings, SettingsError


def test_defaults_keep_mail_in_the_outbox_and_texts_in_the_log():
    settings = Settings.from_env({})
    assert settings.smtp_url is None and settings.sms_url is None
    assert settings.base_url == "http://127.0.0.1:5000" and "@" in settings.mail_from


def test_good_values_are_taken():
    settings = Settings.from_env({
        "DEALFLOW_SMTP_URL": "smtp://mailer:s3cret@mail.example.com:587?starttls=1",
        "DEALFLOW_SMS_URL": "https://user:key@sms.example.com/send",
        "DEALFLOW_MAIL_FROM": "Dealflow CRM <crm@example.com>",
        "DEALFLOW_BASE_URL": "https://crm.example.com/",
    })
    assert settings.smtp_url == "smtp://mailer:s3cret@mail.example.com:587?starttls=1"
    assert settings.sms_url == "https://user:key@sms.example.com/send" and settings.base_url == "https://crm.example.com"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DEALFLOW_SMTP_URL": "smtp://mailer:s3cret@mail.example.com:port"}, "DEALFLOW_SMTP_URL has a bad port"),
        ({"DEALFLOW_SMTP_URL": "smtp://:25"}, "DEALFLOW_SMTP_URL must name a host"),
        ({"DEALFLOW_SMTP_URL": "imap://mail.example.com"}, "DEALFLOW_SMTP_URL must start with one of smtp://"),
        ({"DEALFLOW_SMS_URL": "sms.example.com/send"}, "DEALFLOW_SMS_URL must start with one of http://"),
        ({"DEALFLOW_SMS_URL": "https:///send"}, "DEALFLOW_SMS_URL must name a host"),
        ({"DEALFLOW_BASE_URL": "crm.example.com"}, "DEALFLOW_BASE_URL must start with one of http://"),
        ({"DEALFLOW_MAIL_FROM": "Dealflow"}, "DEALFLOW_MAIL_FROM must be an email address"),
    ],
)
def test_bad_values_name_the_variable(environ: dict[str, str], message: str):
    with pytest.raises(SettingsError) as error:
        Settings.from_env(environ)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)
    assert "s3cret" not in str(error.value)
