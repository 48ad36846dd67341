using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdapterLab.Data.Migrations
{
    /// <inheritdoc />
    public partial class SweepsInSuites : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "suite_run_id",
                table: "sweeps",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_sweeps_suite_run_id",
                table: "sweeps",
                column: "suite_run_id",
                filter: "suite_run_id IS NOT NULL");

            migrationBuilder.AddForeignKey(
                name: "fk_sweeps_suite_runs_suite_run_id",
                table: "sweeps",
                column: "suite_run_id",
                principalTable: "suite_runs",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_sweeps_suite_runs_suite_run_id",
                table: "sweeps");

            migrationBuilder.DropIndex(
                name: "ix_sweeps_suite_run_id",
                table: "sweeps");

            migrationBuilder.DropColumn(
                name: "suite_run_id",
                table: "sweeps");
        }
    }
}
