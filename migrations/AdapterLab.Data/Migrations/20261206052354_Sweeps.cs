using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdapterLab.Data.Migrations
{
    /// <inheritdoc />
    public partial class Sweeps : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "pause_at_step",
                table: "experiments",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "sweep_id",
                table: "experiments",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "sweep_rung_results",
                columns: table => new
                {
                    sweep_id = table.Column<Guid>(type: "uuid", nullable: false),
                    trial_index = table.Column<int>(type: "integer", nullable: false),
                    rung = table.Column<int>(type: "integer", nullable: false),
                    step = table.Column<long>(type: "bigint", nullable: false),
                    value = table.Column<double>(type: "double precision", nullable: false),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sweep_rung_results", x => new { x.sweep_id, x.trial_index, x.rung });
                });

            migrationBuilder.CreateTable(
                name: "sweep_trials",
                columns: table => new
                {
                    sweep_id = table.Column<Guid>(type: "uuid", nullable: false),
                    index = table.Column<int>(type: "integer", nullable: false),
                    experiment_id = table.Column<Guid>(type: "uuid", nullable: true),
                    bracket = table.Column<int>(type: "integer", nullable: false),
                    target_rung = table.Column<int>(type: "integer", nullable: false),
                    values_json = table.Column<string>(type: "jsonb", nullable: false),
                    failure_reason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sweep_trials", x => new { x.sweep_id, x.index });
                });

            migrationBuilder.CreateTable(
                name: "sweeps",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    definition_json = table.Column<string>(type: "jsonb", nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    stop_requested = table.Column<bool>(type: "boolean", nullable: false),
                    note = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    winner_trial_index = table.Column<int>(type: "integer", nullable: true),
                    allow_dry_run = table.Column<bool>(type: "boolean", nullable: false),
                    owner = table.Column<string>(type: "text", nullable: true),
                    owner_id = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sweeps", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_experiments_sweep_id",
                table: "experiments",
                column: "sweep_id");

            migrationBuilder.CreateIndex(
                name: "ix_sweep_trials_experiment_id",
                table: "sweep_trials",
                column: "experiment_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_sweeps_active",
                table: "sweeps",
                column: "status",
                filter: "status IN ('running', 'confirming')");

            migrationBuilder.CreateIndex(
                name: "ix_sweeps_created_at_id",
                table: "sweeps",
                columns: new[] { "created_at", "id" },
                descending: new bool[0]);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "sweep_rung_results");

            migrationBuilder.DropTable(
                name: "sweep_trials");

            migrationBuilder.DropTable(
                name: "sweeps");

            migrationBuilder.DropIndex(
                name: "ix_experiments_sweep_id",
                table: "experiments");

            migrationBuilder.DropColumn(
                name: "pause_at_step",
                table: "experiments");

            migrationBuilder.DropColumn(
                name: "sweep_id",
                table: "experiments");
        }
    }
}
