"""Console pages of the honours app: the register and model workers' pages, campaigns and lists with
the live composition meter, notices, revocations, entitlements and money, innovation results."""
