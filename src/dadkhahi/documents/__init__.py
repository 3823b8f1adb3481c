"""Documents and testimonies: text out of every file (text layers, OCR, office files, web
pages), its language, and later search, mentions and redaction."""
