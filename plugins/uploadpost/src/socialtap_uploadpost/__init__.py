"""socialtap vendor plugin for Upload-Post analytics (``uploadpost``)."""
