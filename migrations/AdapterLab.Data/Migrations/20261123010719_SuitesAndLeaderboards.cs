using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdapterLab.Data.Migrations
{
    /// <inheritdoc />
    public partial class SuitesAndLeaderboards : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "note",
                table: "suite_runs",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "plan_json",
                table: "suite_runs",
                type: "jsonb",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "leaderboard_entries",
                columns: table => new
                {
                    board = table.Column<string>(type: "text", nullable: false),
                    configuration_hash = table.Column<string>(type: "text", nullable: false),
                    dataset = table.Column<string>(type: "text", nullable: false),
                    label_family = table.Column<string>(type: "text", nullable: false),
                    domain = table.Column<string>(type: "text", nullable: false),
                    task = table.Column<string>(type: "text", nullable: false),
                    metric = table.Column<string>(type: "text", nullable: false),
                    name = table.Column<string>(type: "text", nullable: true),
                    kind = table.Column<string>(type: "text", nullable: false),
                    method = table.Column<string>(type: "text", nullable: false),
                    preset = table.Column<string>(type: "text", nullable: false),
                    mean = table.Column<double>(type: "double precision", nullable: false),
                    std = table.Column<double>(type: "double precision", nullable: false),
                    seeds = table.Column<int>(type: "integer", nullable: false),
                    validation_mean = table.Column<double>(type: "double precision", nullable: true),
                    trainable_parameters = table.Column<long>(type: "bigint", nullable: false),
                    total_parameters = table.Column<long>(type: "bigint", nullable: false),
                    steps = table.Column<long>(type: "bigint", nullable: false),
                    images_per_second = table.Column<double>(type: "double precision", nullable: true),
                    train_seconds = table.Column<double>(type: "double precision", nullable: true),
                    suite_run_id = table.Column<Guid>(type: "uuid", nullable: true),
                    suite = table.Column<string>(type: "text", nullable: true),
                    latest_experiment_id = table.Column<Guid>(type: "uuid", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_leaderboard_entries", x => new { x.board, x.configuration_hash });
                });

            migrationBuilder.CreateTable(
                name: "leaderboard_pins",
                columns: table => new
                {
                    board = table.Column<string>(type: "text", nullable: false),
                    baseline_configuration_hash = table.Column<string>(type: "text", nullable: false),
                    pinned_by = table.Column<string>(type: "text", nullable: true),
                    pinned_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_leaderboard_pins", x => x.board);
                });

            migrationBuilder.CreateIndex(
                name: "ix_suite_runs_one_running_per_suite",
                table: "suite_runs",
                column: "suite_id",
                unique: true,
                filter: "status = 'running'");

            migrationBuilder.CreateIndex(
                name: "ix_suite_runs_status",
                table: "suite_runs",
                column: "status");

            migrationBuilder.CreateIndex(
                name: "ix_leaderboard_entries_board_mean",
                table: "leaderboard_entries",
                columns: new[] { "board", "mean" });

            migrationBuilder.CreateIndex(
                name: "ix_leaderboard_entries_configuration_hash",
                table: "leaderboard_entries",
                column: "configuration_hash");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "leaderboard_entries");

            migrationBuilder.DropTable(
                name: "leaderboard_pins");

            migrationBuilder.DropIndex(
                name: "ix_suite_runs_one_running_per_suite",
                table: "suite_runs");

            migrationBuilder.DropIndex(
                name: "ix_suite_runs_status",
                table: "suite_runs");

            migrationBuilder.DropColumn(
                name: "note",
                table: "suite_runs");

            migrationBuilder.DropColumn(
                name: "plan_json",
                table: "suite_runs");
        }
    }
}
