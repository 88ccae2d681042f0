// SluiceStore: store protocols (keys, limits, usage, cache), in memory and on Redis.
import CHiredis
import COpenSSL
