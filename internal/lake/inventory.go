package lake

import "github.com/mcpwatch/mcpwatch/internal/ocsf"

// MCPInventory is the table of the MCP servers mcpwatch's discovery found on hosts and on the
// network (OCSF Device Inventory Info, class 5001), named like a Security Lake custom source.
const MCPInventory = "MCP_INVENTORY"

// MCPInventoryTable returns the MCP_INVENTORY table at SourceVersion.
func MCPInventoryTable() Table {
	return TableOf[ocsf.InventoryInfo](MCPInventory, SourceVersion)
}
