"""One-time submission tokens: a creating form posted twice creates once and shows the first result."""
