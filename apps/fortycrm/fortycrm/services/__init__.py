"""Every write that has a rule. Admin, API, import and jobs call these functions."""
