"""Career-advice chatbot: answers from the career guides in `knowledge/`, with sources."""

__version__ = "0.1.0"
