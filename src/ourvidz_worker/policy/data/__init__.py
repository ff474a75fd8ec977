"""Word lists, age words and embedding prototypes of the prompt policy (see README.md here)."""
