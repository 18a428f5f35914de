"""The validating proxy: ``mockserver proxy PROVIDER --upstream URL`` stands between an app
and a provider, forwards every request, and names each way the traffic departs from the
provider's spec with the contract suite's drift names."""
