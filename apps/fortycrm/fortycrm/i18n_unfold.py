"""German for django-unfold's own strings (unfold ships no German catalogue).

makemessages picks these msgids into fortycrm's catalogue; Django then finds the German
text there for unfold's templates as well (R-DSK-5).
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
