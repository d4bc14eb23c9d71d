"""fortycrm: customer management for small German service companies."""
