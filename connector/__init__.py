"""SmartThings Schema connector for TP-Link Kasa and GE SmartHQ."""
