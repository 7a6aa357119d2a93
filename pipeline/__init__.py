"""xunshi-kg: inspection-rectification bulletins (巡视/巡察整改进展情况的通报) → RDF knowledge graph."""

__version__ = "0.1.0"
