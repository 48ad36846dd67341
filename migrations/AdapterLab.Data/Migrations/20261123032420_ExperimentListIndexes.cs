using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdapterLab.Data.Migrations
{
    /// <inheritdoc />
    public partial class ExperimentListIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_experiments_submitted_at",
                table: "experiments");

            migrationBuilder.CreateIndex(
                name: "ix_experiments_kind_submitted_at_id",
                table: "experiments",
                columns: new[] { "kind", "submitted_at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_experiments_method_submitted_at_id",
                table: "experiments",
                columns: new[] { "method", "submitted_at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_experiments_source_domain_submitted_at_id",
                table: "experiments",
                columns: new[] { "source_domain", "submitted_at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_experiments_status_submitted_at_id",
                table: "experiments",
                columns: new[] { "status", "submitted_at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_experiments_submitted_at_id",
                table: "experiments",
                columns: new[] { "submitted_at", "id" },
                descending: new bool[0]);

            migrationBuilder.CreateIndex(
                name: "ix_experiments_suite_submitted_at_id",
                table: "experiments",
                columns: new[] { "suite", "submitted_at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_experiments_tags",
                table: "experiments",
                column: "tags")
                .Annotation("Npgsql:IndexMethod", "gin");

            migrationBuilder.CreateIndex(
                name: "ix_experiments_target_domains",
                table: "experiments",
                column: "target_domains")
                .Annotation("Npgsql:IndexMethod", "gin");

            migrationBuilder.CreateIndex(
                name: "ix_experiments_tasks",
                table: "experiments",
                column: "tasks")
                .Annotation("Npgsql:IndexMethod", "gin");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_experiments_kind_submitted_at_id",
                table: "experiments");

            migrationBuilder.DropIndex(
                name: "ix_experiments_method_submitted_at_id",
                table: "experiments");

            migrationBuilder.DropIndex(
                name: "ix_experiments_source_domain_submitted_at_id",
                table: "experiments");

            migrationBuilder.DropIndex(
                name: "ix_experiments_status_submitted_at_id",
                table: "experiments");

            migrationBuilder.DropIndex(
                name: "ix_experiments_submitted_at_id",
                table: "experiments");

            migrationBuilder.DropIndex(
                name: "ix_experiments_suite_submitted_at_id",
                table: "experiments");

            migrationBuilder.DropIndex(
                name: "ix_experiments_tags",
                table: "experiments");

            migrationBuilder.DropIndex(
                name: "ix_experiments_target_domains",
                table: "experiments");

            migrationBuilder.DropIndex(
                name: "ix_experiments_tasks",
                table: "experiments");

            migrationBuilder.CreateIndex(
                name: "ix_experiments_submitted_at",
                table: "experiments",
                column: "submitted_at");
        }
    }
}
