// SluiceUpstream: client for remote OpenAI-compatible backends over libcurl.
import CCurl
