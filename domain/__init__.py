"""The HME/DME order-to-cash domain: aggregates, events, value objects and rules. No I/O."""
