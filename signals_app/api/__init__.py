"""The REST API (`/api/v1/`): the same selectors, FilterSet and workflow services as the UI."""
