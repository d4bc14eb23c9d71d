"""German for strings of the libraries the desk and the API show (R-DSK-5).

makemessages picks these msgids into fortycrm's catalogue. ``UNFOLD_STRINGS``: unfold ships
no German at all. ``REST_FRAMEWORK_STRINGS``: Django REST Framework's German says "du";
fortycrm says "Sie" everywhere. For the second list to win, ``fortycrm`` stands before
``rest_framework`` in ``INSTALLED_APPS`` (apps listed first take precedence).
"""

from django.utils.translation import gettext_noop

UNFOLD_STRINGS = [
    gettext_noop("Select record"), gettext_noop("Select action"), gettext_noop("Collapse"), gettext_noop("Value"),
    gettext_noop("Default"), gettext_noop("Current file"), gettext_noop("Reset to default"), gettext_noop("From"),
    gettext_noop("To"), gettext_noop("Date from"), gettext_noop("Date to"), gettext_noop("Not enough data."),
    gettext_noop("Add new item"), gettext_noop("Edit"), gettext_noop("Select format"),
    gettext_noop("This exporter will export the following fields"), gettext_noop("Changes"),
    gettext_noop("Select action to run"), gettext_noop("Select value"), gettext_noop("Run"), gettext_noop("Expand row"),
    gettext_noop("Welcome back to"), gettext_noop("Forgotten your password or username?"), gettext_noop("Type to search"),
    gettext_noop("You have been successfully logged out from the administration"), gettext_noop("No data"),
    gettext_noop("More actions"), gettext_noop("All applications"), gettext_noop("True"), gettext_noop("False"),
    gettext_noop("Apply Filters"), gettext_noop("Select all rows"), gettext_noop("Recent searches"),
    gettext_noop("No recent searches"), gettext_noop("No results matching your query"),
    gettext_noop("Loading more results..."), gettext_noop("Record picture"), gettext_noop("This item will be deleted."),
    gettext_noop("Click to cancel"), gettext_noop("No results found"),
    gettext_noop("This page yielded into no results. Create a new item or reset your filters."),
    gettext_noop("Reset filters"), gettext_noop("Image preview"), gettext_noop("Click to download"), gettext_noop("Go back"),
    gettext_noop("Previous"), gettext_noop("Next"), gettext_noop("Search apps and models..."), gettext_noop("General"),
    gettext_noop("Light"), gettext_noop("Dark"), gettext_noop("System"), gettext_noop("Return to site"),
    gettext_noop("Choose file to upload"), gettext_noop("Toggle password visibility"), gettext_noop("Add row"),
    gettext_noop("Date"),
]

DJANGO_STRINGS = [  # Django's German says "du" here
    gettext_noop("Upload a valid image. The file you uploaded was either not an image or a corrupted image."),
]

API_KEY_STRINGS = [  # djangorestframework-api-key ships no German
    gettext_noop("Expires"),
    gettext_noop("Once API key expires, clients cannot use it anymore."),
    gettext_noop("The API key has been revoked, which cannot be undone."),
]

REST_FRAMEWORK_STRINGS = [
    gettext_noop("Date has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Datetime has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Time has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Ensure that there are no more than {max_decimal_places} decimal places."),
    gettext_noop("Ensure that there are no more than {max_digits} digits in total."),
    gettext_noop("Ensure that there are no more than {max_whole_digits} digits before the decimal point."),
    gettext_noop("Ensure this field has at least {min_length} characters."),
    gettext_noop("Ensure this field has no more than {max_length} characters."),
    gettext_noop("Ensure this value is greater than or equal to {min_value}."),
    gettext_noop("Ensure this value is less than or equal to {max_value}."),
    gettext_noop("Enter a valid URL."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("Expected a date but got a datetime."),
    gettext_noop("Expected a datetime but got a date."),
    gettext_noop('Expected a list of items but got type "{input_type}".'),
    gettext_noop("Incorrect type. Expected pk value, received {data_type}."),
]
