using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdapterLab.Data.Migrations
{
    /// <inheritdoc />
    public partial class QueueIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_experiments_queue",
                table: "experiments",
                columns: new[] { "pool", "priority", "submitted_at", "id" },
                descending: new[] { false, true, false, false },
                filter: "status = 'Queued' AND NOT cancel_requested");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_experiments_queue",
                table: "experiments");
        }
    }
}
