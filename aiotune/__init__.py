"""aiotune: async SDK for Google model tuning."""
