"""The referee of the solver (issue 17): an exact reference model of the scenario contract,
a hypothesis strategy spanning the contract, and differential tests of the product's claims
against the reference's truth. Shares no code with `solver/`."""
