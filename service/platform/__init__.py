"""What partners build on besides reads: webhooks and the sealing of the secrets they sign with."""
