"""The business's knowledge base: documents, chunks, FAQ, embeddings and hybrid search."""
