"""The caregiver's side: the join page, sharing, and one's own shares."""
