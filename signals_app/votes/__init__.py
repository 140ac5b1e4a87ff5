"""«Высказать мнение»: campaigns, objects and verified votes for the landscaping programme
«Формирование комфортной городской среды» (floor 4 beside `ingest/`; its models on floor 1)."""
