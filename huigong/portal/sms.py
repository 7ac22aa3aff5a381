"""The SMS senders moved to the kernel (huigong.core.notify.sms): one sender serves the portal's one-time
codes and the notifications outbox. This module keeps the dotted paths settings already name
(huigong.portal.sms.MemorySmsSender…) working."""

from huigong.core.notify.sms import (  # noqa: F401
    AliyunSmsSender,
    ConsoleSmsSender,
    DisabledSmsSender,
    MemorySmsSender,
    PermanentSmsError,
    SentSms,
    SmsError,
    SmsNotConfigured,
    SmsSender,
    TransientSmsError,
    get_sender,
)
