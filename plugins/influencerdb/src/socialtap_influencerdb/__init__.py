"""socialtap vendor plugin for InfluencerDB (``influencerdb``); the declaration is in :mod:`socialtap_influencerdb.plugin`."""
