import ArgumentParser
import SluiceGateway

SluiceCommand.main()
