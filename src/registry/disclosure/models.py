"""The disclosure app's public pages read the registry's notices (``registry.parties.models.Notice``) and
the CORSIA eligibility list (``registry.units.models.CorsiaEligibility``); it keeps no models of its own."""
