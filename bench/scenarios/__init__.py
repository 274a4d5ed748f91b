"""One module a scenario, each with scenario(bench); scenario 3 also takes the IPA
requests per delete of scenario 2b's burst."""
