"""socialtap vendor plugin for the Shareablee API v1.4 (vendor ``shareablee``)."""
