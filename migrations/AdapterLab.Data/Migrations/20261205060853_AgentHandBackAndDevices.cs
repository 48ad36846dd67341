using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdapterLab.Data.Migrations
{
    /// <inheritdoc />
    public partial class AgentHandBackAndDevices : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "handed_back",
                table: "attempts",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<long>(
                name: "device_memory_bytes",
                table: "agents",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<string>(
                name: "device_name",
                table: "agents",
                type: "text",
                nullable: false,
                defaultValue: "");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "handed_back",
                table: "attempts");

            migrationBuilder.DropColumn(
                name: "device_memory_bytes",
                table: "agents");

            migrationBuilder.DropColumn(
                name: "device_name",
                table: "agents");
        }
    }
}
