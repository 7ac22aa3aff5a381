"""Django middleware adjusted to the API, whose requests never use what some of it prepares."""

from django.contrib.messages.middleware import MessageMiddleware

# Where the JSON API is mounted (huigong/urls.py).
API_PATH_PREFIX = "/api/"


class PageMessageMiddleware(MessageMiddleware):
    """Django's messages, for pages only. The API answers in JSON and never queues a message, yet
    Django's middleware builds the cookie-and-session message store for every request (a few percent
    of an API call's CPU in a rush of claims). An API request gets no store: a message queued there
    would fail loudly (MessageFailure) rather than wait for a page nobody is going to load."""

    def process_request(self, request):
        if not request.path_info.startswith(API_PATH_PREFIX):
            super().process_request(request)
