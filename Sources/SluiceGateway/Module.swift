// SluiceGateway module. See ARCHITECTURE.md for its job and boundaries.
