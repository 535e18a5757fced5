"""What visitors without an account may see: public profiles, public and unlisted links."""
